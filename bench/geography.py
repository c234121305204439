"""Where people live in the synthetic Finland: weighted town centres with real
approximate coordinates and populations, sparse villages around them, and a
thin uniform rural background inside a rough outline of the country."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass

KM_PER_DEG_LAT = 111.2


@dataclass(frozen=True)
class Centre:
    name: str
    name_sv: str | None
    region: str
    lat: float
    lon: float
    population: int
    swedish_share: float = 0.03

    @property
    def spread_km(self) -> float:
        """Gaussian spread of the town: ~3 km for a small town, ~10 km for the capital."""
        return 3.0 + 7.0 * min(1.0, self.population / 600_000) ** 0.5


# Approximate centre coordinates and populations (2020s). The Kainuu names match
# the shipped gazetteer so those municipalities are reused, not duplicated.
CENTRES: tuple[Centre, ...] = (
    Centre("Helsinki", "Helsingfors", "Uusimaa", 60.1699, 24.9384, 674_000, 0.06),
    Centre("Espoo", "Esbo", "Uusimaa", 60.2055, 24.6559, 314_000, 0.07),
    Centre("Tampere", "Tammerfors", "Pirkanmaa", 61.4978, 23.7610, 255_000),
    Centre("Vantaa", "Vanda", "Uusimaa", 60.2934, 25.0378, 247_000, 0.02),
    Centre("Oulu", "Uleåborg", "Pohjois-Pohjanmaa", 65.0121, 25.4651, 215_000),
    Centre("Turku", "Åbo", "Varsinais-Suomi", 60.4518, 22.2666, 202_000, 0.05),
    Centre("Jyväskylä", None, "Keski-Suomi", 62.2426, 25.7473, 148_000),
    Centre("Kuopio", None, "Pohjois-Savo", 62.8924, 27.6770, 124_000),
    Centre("Lahti", "Lahtis", "Päijät-Häme", 60.9827, 25.6612, 121_000),
    Centre("Pori", "Björneborg", "Satakunta", 61.4851, 21.7974, 84_000),
    Centre("Kouvola", None, "Kymenlaakso", 60.8681, 26.7042, 80_000),
    Centre("Joensuu", None, "Pohjois-Karjala", 62.6010, 29.7636, 78_000),
    Centre("Lappeenranta", "Villmanstrand", "Etelä-Karjala", 61.0583, 28.1887, 73_000),
    Centre("Hämeenlinna", "Tavastehus", "Kanta-Häme", 60.9959, 24.4643, 68_000),
    Centre("Vaasa", "Vasa", "Pohjanmaa", 63.0951, 21.6165, 68_000, 0.22),
    Centre("Seinäjoki", None, "Etelä-Pohjanmaa", 62.7903, 22.8403, 65_000),
    Centre("Rovaniemi", None, "Lappi", 66.5039, 25.7294, 65_000),
    Centre("Mikkeli", "S:t Michel", "Etelä-Savo", 61.6886, 27.2723, 52_000),
    Centre("Kotka", None, "Kymenlaakso", 60.4664, 26.9458, 51_000),
    Centre("Salo", None, "Varsinais-Suomi", 60.3831, 23.1256, 51_000),
    Centre("Porvoo", "Borgå", "Uusimaa", 60.3932, 25.6651, 51_000, 0.28),
    Centre("Kokkola", "Karleby", "Keski-Pohjanmaa", 63.8385, 23.1307, 48_000, 0.12),
    Centre("Hyvinkää", "Hyvinge", "Uusimaa", 60.6309, 24.8597, 47_000),
    Centre("Lohja", "Lojo", "Uusimaa", 60.2486, 24.0653, 46_000, 0.04),
    Centre("Järvenpää", "Träskända", "Uusimaa", 60.4737, 25.0899, 45_000),
    Centre("Nurmijärvi", None, "Uusimaa", 60.4641, 24.8073, 45_000),
    Centre("Kirkkonummi", "Kyrkslätt", "Uusimaa", 60.1239, 24.4386, 41_000, 0.16),
    Centre("Rauma", "Raumo", "Satakunta", 61.1287, 21.5111, 39_000),
    Centre("Tuusula", "Tusby", "Uusimaa", 60.4036, 25.0264, 39_000),
    Centre("Kerava", "Kervo", "Uusimaa", 60.4034, 25.1050, 38_000),
    Centre("Kajaani", "Kajana", "Kainuu", 64.2245, 27.7334, 36_000),
    Centre("Savonlinna", "Nyslott", "Etelä-Savo", 61.8687, 28.8793, 32_000),
    Centre("Riihimäki", None, "Kanta-Häme", 60.7377, 24.7727, 29_000),
    Centre("Imatra", None, "Etelä-Karjala", 61.1714, 28.7547, 25_000),
    Centre("Raahe", "Brahestad", "Pohjois-Pohjanmaa", 64.6847, 24.4792, 24_000),
    Centre("Tornio", "Torneå", "Lappi", 65.8481, 24.1466, 21_000),
    Centre("Iisalmi", "Idensalmi", "Pohjois-Savo", 63.5581, 27.1907, 21_000),
    Centre("Kemi", None, "Lappi", 65.7364, 24.5637, 20_000),
    Centre("Varkaus", None, "Pohjois-Savo", 62.3150, 27.8731, 20_000),
    Centre("Pietarsaari", "Jakobstad", "Pohjanmaa", 63.6750, 22.7028, 19_000, 0.55),
    Centre("Pieksämäki", None, "Etelä-Savo", 62.3000, 27.1333, 17_000),
    Centre("Forssa", None, "Kanta-Häme", 60.8147, 23.6214, 17_000),
    Centre("Kuusamo", None, "Pohjois-Pohjanmaa", 65.9667, 29.1833, 15_000),
    Centre("Ylivieska", None, "Pohjois-Pohjanmaa", 64.0731, 24.5384, 15_000),
    Centre("Uusikaupunki", "Nystad", "Varsinais-Suomi", 60.8000, 21.4167, 15_000),
    Centre("Maarianhamina", "Mariehamn", "Ahvenanmaa", 60.0973, 19.9348, 11_700, 0.85),
    Centre("Sotkamo", None, "Kainuu", 64.1315, 28.3860, 10_000),
    Centre("Närpiö", "Närpes", "Pohjanmaa", 62.4733, 21.3364, 9_500, 0.9),
    Centre("Kuhmo", None, "Kainuu", 64.1270, 29.5200, 8_000),
    Centre("Sodankylä", None, "Lappi", 67.4167, 26.5833, 8_000),
    Centre("Suomussalmi", None, "Kainuu", 64.8840, 28.9130, 7_500),
    Centre("Inari", "Enare", "Lappi", 68.9058, 27.0283, 7_000),
    Centre("Kittilä", None, "Lappi", 67.6597, 24.9075, 6_500),
    Centre("Paltamo", None, "Kainuu", 64.4058, 27.8381, 3_200),
    Centre("Puolanka", None, "Kainuu", 64.8680, 27.6800, 2_500),
    Centre("Hyrynsalmi", None, "Kainuu", 64.6760, 28.4970, 2_100),
    Centre("Ristijärvi", None, "Kainuu", 64.4990, 28.2165, 1_200),
)

# A rough outline of mainland Finland (lon, lat), clockwise from Hanko.
FINLAND_OUTLINE: tuple[tuple[float, float], ...] = (
    (22.9, 59.8),
    (25.5, 60.2),
    (27.7, 60.5),
    (29.5, 61.3),
    (31.5, 62.9),
    (29.9, 63.8),
    (30.5, 64.8),
    (29.1, 66.0),
    (29.9, 67.7),
    (28.7, 68.9),
    (28.4, 69.9),
    (27.0, 69.9),
    (25.7, 69.2),
    (20.6, 69.05),
    (23.5, 67.9),
    (24.1, 65.8),
    (25.3, 65.0),
    (24.5, 64.7),
    (22.5, 63.8),
    (21.3, 63.2),
    (21.4, 62.2),
    (21.3, 61.0),
    (21.5, 60.6),
)


def in_finland(lat: float, lon: float) -> bool:
    """Point-in-polygon (ray casting) against :data:`FINLAND_OUTLINE`."""
    inside = False
    pts = FINLAND_OUTLINE
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


@dataclass(frozen=True)
class VillagePoint:
    name: str
    centre: int  # index into CENTRES
    lat: float
    lon: float
    weight: float
    postcode: str | None = None


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    centre: int
    village: int | None  # index into the village list


class Geography:
    """Draws home locations: towns (gaussian around a weighted centre), villages, rural background."""

    def __init__(
        self,
        rng: random.Random,
        extra_villages: list[VillagePoint] | None = None,
        *,
        synthetic_villages: int = 420,
    ) -> None:
        self.centres = CENTRES
        self.villages: list[VillagePoint] = list(extra_villages or [])
        # Villages scattered around towns, more around bigger ones (weight ~ sqrt(population)).
        centre_weights = [math.sqrt(c.population) for c in CENTRES]
        counts: dict[int, int] = {}
        for _ in range(synthetic_villages):
            ci = rng.choices(range(len(CENTRES)), weights=centre_weights)[0]
            c = CENTRES[ci]
            for _attempt in range(20):
                lat, lon = offset_km(c.lat, c.lon, rng.gauss(0, 30), rng.gauss(0, 30))
                if in_finland(lat, lon):
                    break
            else:  # an island town (Maarianhamina): the village stays near it
                lat, lon = offset_km(c.lat, c.lon, rng.gauss(0, 3), rng.gauss(0, 3))
            counts[ci] = counts.get(ci, 0) + 1
            self.villages.append(
                VillagePoint(f"{c.name}, kylä {counts[ci]}", ci, round(lat, 5), round(lon, 5), rng.uniform(0.5, 2.0))
            )
        self._centre_cum = list(itertools.accumulate(c.population for c in CENTRES))
        self._village_cum = list(itertools.accumulate(v.weight for v in self.villages))

    def _pick_centre(self, rng: random.Random) -> int:
        return bisect.bisect_right(self._centre_cum, rng.random() * self._centre_cum[-1])

    def _pick_village(self, rng: random.Random) -> int:
        return bisect.bisect_right(self._village_cum, rng.random() * self._village_cum[-1])

    def nearest_centre(self, lat: float, lon: float) -> int:
        best, best_d = 0, float("inf")
        coslat = math.cos(math.radians(lat))
        for i, c in enumerate(self.centres):
            d = (c.lat - lat) ** 2 + ((c.lon - lon) * coslat) ** 2
            if d < best_d:
                best, best_d = i, d
        return best

    def draw(self, rng: random.Random, *, town_share: float, village_share: float) -> Place:
        r = rng.random()
        if r < town_share:
            ci = self._pick_centre(rng)
            c = self.centres[ci]
            s = c.spread_km
            lat, lon = offset_km(c.lat, c.lon, rng.gauss(0, s), rng.gauss(0, s))
            return Place(round(lat, 6), round(lon, 6), ci, None)
        if r < town_share + village_share and self.villages:
            vi = self._pick_village(rng)
            v = self.villages[vi]
            lat, lon = offset_km(v.lat, v.lon, rng.gauss(0, 1.5), rng.gauss(0, 1.5))
            return Place(round(lat, 6), round(lon, 6), v.centre, vi)
        while True:
            lat, lon = rng.uniform(59.9, 69.9), rng.uniform(20.6, 31.5)
            if in_finland(lat, lon):
                return Place(round(lat, 6), round(lon, 6), self.nearest_centre(lat, lon), None)


def offset_km(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    new_lat = lat + north_km / KM_PER_DEG_LAT
    new_lon = lon + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return new_lat, new_lon


class Grid:
    """Points binned in ~5 km cells, to pick someone nearby quickly."""

    def __init__(self, cell_deg_lat: float = 0.05, cell_deg_lon: float = 0.1) -> None:
        self.dlat = cell_deg_lat
        self.dlon = cell_deg_lon
        self.cells: dict[tuple[int, int], list[int]] = {}

    def key(self, lat: float, lon: float) -> tuple[int, int]:
        return int(lat // self.dlat), int(lon // self.dlon)

    def add(self, lat: float, lon: float, item: int) -> None:
        self.cells.setdefault(self.key(lat, lon), []).append(item)

    def near(self, lat: float, lon: float, *, at_least: int = 1, max_rings: int = 4) -> list[int]:
        """Items in the cell of (lat, lon), widening ring by ring until ``at_least`` are found."""
        ky, kx = self.key(lat, lon)
        found: list[int] = list(self.cells.get((ky, kx), ()))
        ring = 0
        while len(found) < at_least and ring < max_rings:
            ring += 1
            for dy in range(-ring, ring + 1):
                for dx in range(-ring, ring + 1):
                    if max(abs(dy), abs(dx)) == ring:
                        found.extend(self.cells.get((ky + dy, kx + dx), ()))
        return found

"""Forms for older residents: the intake/edit form, placing by hand, status, search."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerRangeField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.elders import labels
from app.elders.intake import FIRST_BIRTH_YEAR, ContactInput, ElderInput
from app.elders.problems import Problem
from app.i18n import current_language, today_local
from app.inputs import to_int
from app.models import Elder, Municipality, Organization
from app.phones import PHONE_MESSAGES, Phone, PhoneError, display_phone, parse_phone
from app.relations import RELATIONS

PROBLEM_MESSAGES = {
    "sms_self_needs_phone": _l("SMS to them needs their mobile number."),
    "sms_self_needs_mobile": _l(
        "This is a landline number, which cannot receive SMS. Give a mobile number or choose another way to reach them."
    ),
    "sms_relative_needs_contact": _l("SMS to a relative needs a contact person: fill in a row below."),
    "primary_must_agree": _l("The primary contact person must agree to be contacted before they get SMS."),
    "primary_needs_mobile": _l("The primary contact person's number is a landline, which cannot receive SMS."),
    "voice_needs_phone": _l("An automated call needs their own phone number."),
    "no_way_to_call": _l("Give a phone number for them, or for a contact person who agrees to be contacted."),
    "unknown_municipality": _l("Choose a municipality from the list."),
    "unknown_village": _l("Choose a village from the list."),
    "village_elsewhere": _l("This village is not in the chosen municipality."),
    "not_your_organization": _l("You can only file people under your own organizations."),
    "unknown_contact": _l("A contact person on the form does not belong to this person. Reload the page."),
    "village_without_point": _l("This village has no known centre point. Give the coordinates instead."),
    "nothing_given": _l("Give both latitude and longitude, or choose a village."),
    "out_of_finland": _l(
        "This point is not in Finland. In Kainuu the latitude is about 64 and the longitude about 28."
    ),
    "unknown_status": _l("Choose active, paused or ended."),
    "erased": _l("The personal data of this person was erased: nothing can be changed or added."),
}


def options(pairs: Iterable[tuple], *, blank: str | None = None) -> list[SelectChoice]:
    """``[(value, label), ...]`` as WTForms choices, optionally after an empty one."""
    out = [SelectChoice("", blank)] if blank is not None else []
    return out + [SelectChoice(str(value), label) for value, label in pairs]


def _parse(raw: str | None) -> Phone | None:
    """Parse a typed number, or raise ValidationError with a message in the user's language."""
    if not raw or not raw.strip():
        return None
    try:
        return parse_phone(raw)
    except PhoneError as exc:
        raise ValidationError(str(PHONE_MESSAGES.get(exc.code, PHONE_MESSAGES["invalid"]))) from exc


def municipality_label(municipality: Municipality) -> str:
    if current_language() == "sv" and municipality.name_sv:
        return f"{municipality.name} ({municipality.name_sv})"
    return municipality.name


def village_choices(municipalities: Iterable[Municipality]) -> list[SelectChoice]:
    """Villages grouped by municipality (rendered as ``<optgroup>``), after an empty choice."""
    choices = [SelectChoice("", "–")]
    for muni in municipalities:
        group = municipality_label(muni)
        choices.extend(SelectChoice(str(v.id), v.name, optgroup=group) for v in muni.villages)
    return choices


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


class ContactForm(Form):
    """One row of contact persons. An empty row is ignored; a half-filled one is an error."""

    class Meta:
        def get_translations(self, form):  # WTForms' own messages in the user's language, as in FlaskForm
            from flask_wtf.i18n import translations

            return translations

    id = HiddenField()
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    relation = SelectField(_l("Relation"), choices=options(RELATIONS.items(), blank="–"), default="")
    phone = TelField(_l("Phone number"), validators=[Optional(), Length(max=30)], render_kw={"autocomplete": "off"})
    language = SelectField(_l("Language"), choices=options(labels.LANGUAGES.items()), default="fi")
    may_contact = BooleanField(_l("Agrees to be contacted"))
    remove = BooleanField(_l("Remove this contact person"))

    parsed_phone: Phone | None = None

    @property
    def contact_id(self) -> int | None:
        return to_int(self.id.data)

    @property
    def is_empty(self) -> bool:
        return not (
            (self.name.data or "").strip()
            or (self.phone.data or "").strip()
            or self.relation.data
            or self.may_contact.data
        )

    @property
    def is_removed(self) -> bool:
        return self.contact_id is not None and (bool(self.remove.data) or self.is_empty)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self.parsed_phone = None
        if self.is_empty or self.is_removed:
            for f in self:
                f.errors = []
            return True
        if not (self.name.data or "").strip():
            self.name.errors.append(_("Write the contact person's name, or empty the whole row."))
            ok = False
        if not (self.phone.data or "").strip():
            self.phone.errors.append(_("Write the contact person's phone number, or empty the whole row."))
            ok = False
        else:
            try:
                self.parsed_phone = _parse(self.phone.data)
            except ValidationError as exc:
                self.phone.errors.append(str(exc))
                ok = False
        return ok


class ElderForm(FlaskForm):
    """The one-page intake, also used for editing."""

    organization_id = SelectField(
        _l("Organization"), choices=[], validators=[DataRequired(message=_l("Choose the organization."))]
    )
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(message=_l("Write the first name.")), Length(max=60)],
        render_kw={"autocomplete": "off"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(message=_l("Write the last name.")), Length(max=60)],
        render_kw={"autocomplete": "off"},
    )
    birth_year = StringField(
        _l("Birth year"),
        validators=[Optional(), Length(max=10)],
        render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"},
    )
    phone = TelField(_l("Phone number"), validators=[Optional(), Length(max=30)], render_kw={"autocomplete": "off"})
    # None chosen: the service decides by the number (a landline gets automated calls).
    contact_channel = RadioField(
        _l("How to reach them"), choices=options(labels.CHANNELS.items()), default="", validate_choice=False
    )
    language = RadioField(_l("Language"), choices=options(labels.LANGUAGES.items()), default="fi")
    contacts = FieldList(FormField(ContactForm), min_entries=2, max_entries=10)
    primary_contact = StringField(_l("Primary contact person"))

    street_address = StringField(
        _l("Street address"),
        validators=[DataRequired(message=_l("Write the street address.")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    postcode = StringField(
        _l("Postal code"),
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("A postal code has five digits, like 88600."))],
        render_kw={"inputmode": "numeric", "maxlength": 5, "autocomplete": "off"},
    )
    municipality_id = SelectField(
        _l("Municipality"), choices=[], validators=[DataRequired(message=_l("Choose the municipality."))]
    )
    village_id = SelectField(_l("Village or district"), choices=[], default="")
    access_notes = TextAreaField(_l("Door and access notes"), validators=[Optional(), Length(max=1000)])

    elder_profile = RadioField(
        _l("Profile"),
        choices=options(((code, name) for code, (name, _d) in labels.PROFILES.items()), blank=_l("Not assessed yet")),
        default="",
    )
    slider_sociable = IntegerRangeField(labels.FIELDS["slider_sociable"], default=3, validators=[NumberRange(1, 5)])
    slider_producer = IntegerRangeField(labels.FIELDS["slider_producer"], default=3, validators=[NumberRange(1, 5)])
    slider_others = IntegerRangeField(labels.FIELDS["slider_others"], default=3, validators=[NumberRange(1, 5)])
    slider_digital = IntegerRangeField(labels.FIELDS["slider_digital"], default=3, validators=[NumberRange(1, 5)])
    #: Untouched sliders are stored as "not assessed" (None), not as the middle (3).
    sliders_assessed = BooleanField(_l("We went through these scales together"))
    prefers_continuity = BooleanField(_l("The same helper whenever possible"), default=True)
    preferences = TextAreaField(
        _l("Other wishes that help find a good match"), validators=[Optional(), Length(max=2000)]
    )
    health_notes = TextAreaField(_l("Health and safety notes"), validators=[Optional(), Length(max=2000)])

    consent_given = BooleanField(_l("They agreed that their details are recorded and used to arrange help"))
    consent_method = RadioField(
        _l("How the consent was given"), choices=options(labels.CONSENT_METHODS.items()), default="verbal"
    )
    add_contact = SubmitField(_l("Add another contact person"))
    submit = SubmitField(_l("Save"))
    submit_request = SubmitField(_l("Save and take a request"))
    #: Set by "No, a new person" on the "Is this the same person?" step.
    confirm_new = HiddenField()

    parsed_phone: Phone | None = None

    def set_choices(self, organizations: list[Organization], municipalities: list[Municipality]) -> None:
        blank = _("Choose…") if len(organizations) > 1 else None  # never silently the first of a list
        self.organization_id.choices = options(((org.id, org.name) for org in organizations), blank=blank)
        self.municipality_id.choices = options(
            ((m.id, municipality_label(m)) for m in municipalities), blank=_("Choose…")
        )
        self.village_id.choices = village_choices(municipalities)

    def validate_phone(self, field) -> None:
        self.parsed_phone = _parse(field.data)

    def validate_birth_year(self, field) -> None:
        last = today_local().year
        if to_int(field.data, minimum=FIRST_BIRTH_YEAR, maximum=last) is None:
            raise ValidationError(
                _(
                    "Write the birth year with four digits, from %(first)s to %(last)s.",
                    first=FIRST_BIRTH_YEAR,
                    last=last,
                )
            )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        primary = to_int(self.primary_contact.data)
        if primary is not None:
            rows = self.contacts.entries
            if primary >= len(rows) or rows[primary].form.is_empty or rows[primary].form.is_removed:
                self.primary_contact.errors.append(_("The contact person marked as primary is empty."))
                ok = False
        return ok

    def slider_values(self) -> dict[str, int | None]:
        """The sliders as stored: their values when assessed (ticked, or any moved from the
        middle without JavaScript to tick the box), else None each ("not assessed")."""
        values = {name: self[name].data for name, _left, _right in labels.SLIDERS}
        assessed = bool(self.sliders_assessed.data) or any(v not in (None, 3) for v in values.values())
        return values if assessed else dict.fromkeys(values)

    @property
    def has_profile(self) -> bool:
        """Anything filled in the optional profile section (it is then shown open)."""
        return bool(
            self.elder_profile.data or self.sliders_assessed.data or (self.preferences.data or "").strip()
        ) or any(f.errors for f in (self.elder_profile, self.preferences, *(self[n] for n, _a, _b in labels.SLIDERS)))

    @property
    def sliders(self) -> list[tuple]:
        return [(self[name], left, right) for name, left, right in labels.SLIDERS]

    def add_problems(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            message = str(PROBLEM_MESSAGES.get(problem.code, problem.code))
            if problem.field in self._fields and problem.field != "contacts":
                self[problem.field].errors.append(message)
            else:
                self.form_errors.append(message)

    def fill_from(self, elder: Elder) -> None:
        """Prefill the edit form from the record (call on GET only)."""
        for name in (
            "first_name",
            "last_name",
            "contact_channel",
            "language",
            "street_address",
            "postcode",
            "access_notes",
            "prefers_continuity",
            "preferences",
            "health_notes",
            "consent_given",
        ):
            self[name].data = getattr(elder, name)
        for name, _left, _right in labels.SLIDERS:
            self[name].data = getattr(elder, name) or 3
        self.sliders_assessed.data = any(getattr(elder, name) is not None for name, _l, _r in labels.SLIDERS)
        self.organization_id.data = str(elder.organization_id)
        self.municipality_id.data = str(elder.municipality_id or "")
        self.village_id.data = str(elder.village_id or "")
        self.phone.data = display_phone(elder.phone)
        self.birth_year.data = str(elder.birth_year or "")
        self.elder_profile.data = elder.elder_profile or ""
        self.consent_method.data = elder.consent_method or "verbal"
        while self.contacts.entries:
            self.contacts.pop_entry()
        for contact in elder.contacts:
            self.contacts.append_entry(
                {
                    "id": str(contact.id),
                    "name": contact.name,
                    "relation": contact.relation or "",
                    "phone": display_phone(contact.phone),
                    "language": contact.language,
                    "may_contact": contact.may_contact,
                }
            )
        if len(self.contacts.entries) < (self.contacts.max_entries or 10):
            self.contacts.append_entry()  # a free row for a new contact person
        while len(self.contacts.entries) < self.contacts.min_entries:
            self.contacts.append_entry()
        primary = next((i for i, c in enumerate(elder.contacts) if c.is_primary), None)
        self.primary_contact.data = "" if primary is None else str(primary)

    def to_input(self) -> ElderInput:
        rows = [entry.form for entry in self.contacts.entries]
        chosen = to_int(self.primary_contact.data)
        kept = [i for i, row in enumerate(rows) if not row.is_empty and not row.is_removed]
        primary = chosen if chosen in kept else (kept[0] if kept else None)
        contacts = []
        for i, row in enumerate(rows):
            if row.is_removed:
                contacts.append(ContactInput(name="", phone="", phone_is_mobile=False, id=row.contact_id, remove=True))
            elif i in kept and row.parsed_phone is not None:
                contacts.append(
                    ContactInput(
                        id=row.contact_id,
                        name=row.name.data.strip(),
                        relation=row.relation.data or None,
                        phone=row.parsed_phone.e164,
                        phone_is_mobile=row.parsed_phone.is_mobile,
                        language=row.language.data,
                        may_contact=bool(row.may_contact.data),
                        is_primary=i == primary,
                        row=i,
                    )
                )
        return ElderInput(
            organization_id=int(self.organization_id.data),
            first_name=self.first_name.data.strip(),
            last_name=self.last_name.data.strip(),
            birth_year=to_int(self.birth_year.data, minimum=FIRST_BIRTH_YEAR),
            phone=self.parsed_phone.e164 if self.parsed_phone else None,
            phone_is_mobile=bool(self.parsed_phone and self.parsed_phone.is_mobile),
            contact_channel=self.contact_channel.data,
            language=self.language.data,
            street_address=self.street_address.data.strip(),
            postcode=_text(self.postcode.data),
            municipality_id=int(self.municipality_id.data),
            village_id=to_int(self.village_id.data),
            access_notes=_text(self.access_notes.data),
            elder_profile=self.elder_profile.data or None,
            **self.slider_values(),
            prefers_continuity=bool(self.prefers_continuity.data),
            preferences=_text(self.preferences.data),
            health_notes=_text(self.health_notes.data),
            consent_given=bool(self.consent_given.data),
            consent_method=self.consent_method.data if self.consent_given.data else None,
            contacts=tuple(contacts),
        )

    def error_list(self) -> list[tuple[str | None, str, str]]:
        """Every error as (id to link to, field label, message), contact rows included."""
        out: list[tuple[str | None, str, str]] = []
        for f in self:
            if isinstance(f, FieldList):
                for i, entry in enumerate(f.entries, start=1):
                    for sub in entry.form:
                        for error in sub.errors:
                            label = _("Contact person %(n)s", n=i) + ": " + str(sub.label.text)
                            out.append((sub.id, label, str(error)))
            elif f.name == "primary_contact":
                out.extend(("contacts-0-name", str(f.label.text), str(e)) for e in f.errors)
            else:
                out.extend((f.id, str(f.label.text), str(e)) for e in f.errors)
        out.extend((None, "", str(e)) for e in self.form_errors)
        return out


_PAIR = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d+(?:[.,]\d+)?)\s*$")
_NUMBER = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")


def parse_coordinate(text: str | None) -> float | None:
    """``"64,1315"`` or ``"64.1315"`` → 64.1315; empty → None; raises ValueError otherwise."""
    if not text or not text.strip():
        return None
    if not _NUMBER.match(text):
        raise ValueError(text)
    return float(text.strip().replace(",", "."))


class PlaceForm(FlaskForm):
    """Put a resident on the map by hand: a point, or the centre of a village."""

    lat = StringField(_l("Latitude"), validators=[Optional(), Length(max=40)], render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), validators=[Optional(), Length(max=40)], render_kw={"inputmode": "decimal"})
    village_id = SelectField(_l("Or the centre of a village"), choices=[], default="")
    submit = SubmitField(_l("Place on the map"))

    lat_value: float | None = None
    lon_value: float | None = None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        pair = _PAIR.match(self.lat.data or "") if not (self.lon.data or "").strip() else None
        if pair:  # "64.13, 28.38" pasted from a map into the first box
            self.lat.data, self.lon.data = pair.group(1), pair.group(2)
        for f, attr in ((self.lat, "lat_value"), (self.lon, "lon_value")):
            try:
                setattr(self, attr, parse_coordinate(f.data))
            except ValueError:
                f.errors.append(_("Write a decimal number, like 64.1315."))
                ok = False
        if ok and not self.village_id.data and (self.lat_value is None or self.lon_value is None):
            self.lat.errors.append(str(PROBLEM_MESSAGES["nothing_given"]))
            ok = False
        return ok

    def add_problems(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            target = self.village_id if problem.field == "village_id" else self.lat
            target.errors.append(str(PROBLEM_MESSAGES.get(problem.code, problem.code)))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=options(labels.STATUSES.items()))
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=300)])


class SearchForm(Form):
    """The list's search and filters, read from the query string."""

    q = SearchField(_l("Name or phone number"), validators=[Optional(), Length(max=80)], render_kw={"autofocus": True})
    municipality = SelectField(_l("Municipality"), choices=[], validate_choice=False)
    status = SelectField(
        _l("Status"), choices=options(labels.STATUSES.items(), blank=_l("All")), default="", validate_choice=False
    )
    attention = BooleanField(_l("Only those that need attention"))
    erased = SelectField(
        _l("People whose data was erased"),
        choices=options((("", _l("Leave them out")), ("include", _l("Show them too")), ("only", _l("Show only them")))),
        default="",
        validate_choice=False,
    )

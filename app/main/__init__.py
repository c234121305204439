from app.main import routes  # noqa: F401  (each page module registers its routes on bp)
from app.main.blueprint import bp

__all__ = ["bp"]

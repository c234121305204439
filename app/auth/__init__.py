from app.auth import routes  # noqa: F401  (each page module registers its routes on bp)
from app.auth.blueprint import bp

__all__ = ["bp"]

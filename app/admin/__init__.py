from app.admin import audit_routes, routes  # noqa: F401  (each page module registers its routes on bp)
from app.admin.blueprint import bp

__all__ = ["bp"]

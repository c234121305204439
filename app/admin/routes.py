import sqlalchemy as sa
from flask import render_template

from app.admin import bp
from app.extensions import db
from app.models import Organization, User
from app.security import roles_required


@bp.route("/")
@roles_required("admin")
def index():
    organizations = db.session.scalars(sa.select(Organization).order_by(Organization.name)).all()
    coordinators = db.session.scalars(
        sa.select(User).where(User.role.in_(("coordinator", "admin"))).order_by(User.name)
    ).all()
    return render_template("admin/index.html", organizations=organizations, coordinators=coordinators)

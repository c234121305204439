"""Forms of the helper area. Every message is the app's own, in the user's language."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    IntegerRangeField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.abuse import BotCheckMixin
from app.auth.passwords import NotCommonPassword
from app.extensions import db
from app.helpers.labels import (
    LANGUAGE_LABELS,
    MAX_DISTANCE_KM,
    PART_LABELS,
    PARTS_OF_DAY,
    TRANSPORT_LABELS,
    WEEKDAYS,
)
from app.helpers.profile_fit import PROFILES, SLIDER_MAX, SLIDER_MIN, Sliders
from app.helpers.registration import HelperDetails, Registration
from app.helpers.services import MIN_AGE
from app.i18n import today_local
from app.inputs import to_int
from app.models import ADULT_AGE, Municipality, Organization, TaskType, Village, age_on
from app.phones import PhoneError, parse_phone

INTRO_MAX = 500

PHONE_MESSAGES = {
    "invalid": _l("Check the number. Write a Finnish mobile number, for example 040 123 4567."),
    "foreign": _l("Only Finnish mobile numbers can be used, because the text messages are sent in Finland."),
    "not_mobile": _l("This looks like a landline number. Give a mobile number that can receive text messages."),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in labels.items()]


class LocalDateField(DateField):
    """A date typed as 2011-03-15 (the date picker) or the Finnish way, 15.3.2011."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        for fmt in self.format:
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(str(_l("Write the date like 15.3.2011.")))


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().replace(",", ".")
        try:
            self.data = round(float(text))
        except (ValueError, OverflowError):  # OverflowError: "inf"
            self.data = None
            raise ValueError(str(_l("Write a number, for example 5."))) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def phone_e164(field, *, message_field=None) -> str | None:
    """Parse a phone field as a Finnish mobile number; put the reason on the field when it fails."""
    try:
        return parse_phone(field.data or "", require_mobile=True).e164
    except PhoneError as exc:
        (message_field or field).errors.append(str(PHONE_MESSAGES[exc.code]))
        return None


def _slider(label):
    return IntegerRangeField(
        label,
        default=3,
        validators=[InputRequired(message=_l("Choose a point on the scale.")), NumberRange(SLIDER_MIN, SLIDER_MAX)],
        render_kw={"min": SLIDER_MIN, "max": SLIDER_MAX, "step": 1},
    )


class ProfileFieldsForm(FlaskForm):
    """The fields a helper fills in at sign-up and edits later."""

    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(message=_l("Write your first name.")), Length(max=60)],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(message=_l("Write your last name.")), Length(max=60)],
        render_kw={"autocomplete": "family-name"},
    )
    phone = TelField(
        _l("Mobile number"),
        validators=[DataRequired(message=_l("Write your mobile number."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    municipality = SelectField(
        _l("Municipality"),
        coerce=to_int,
        validators=[InputRequired(message=_l("Choose your municipality."))],
    )
    village = SelectField(_l("Village or district"), coerce=to_int, validators=[Optional()])
    address_text = StringField(
        _l("Street address (optional)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "street-address"},
    )
    transport = RadioField(
        _l("How do you get around?"),
        choices=_choices(TRANSPORT_LABELS),
        default="bike",
        validators=[InputRequired(message=_l("Choose how you get around."))],
    )
    max_distance_km = WholeNumberField(
        _l("How far will you go (km)?"),
        validators=[
            Optional(),
            NumberRange(1, MAX_DISTANCE_KM, message=_l("Give a distance between 1 and 50 km.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_DISTANCE_KM},
    )
    task_types = MultiCheckboxField(_l("What would you like to help with?"))
    availability = MultiCheckboxField(
        _l("When can you help?"),
        choices=[SelectChoice(f"{d}-{p}", f"{WEEKDAYS[d]} {PART_LABELS[p]}") for d in range(7) for p in PARTS_OF_DAY],
    )
    languages = MultiCheckboxField(_l("Languages you speak"), choices=_choices(LANGUAGE_LABELS), default=["fi"])
    introduction = TextAreaField(
        _l("A few words about yourself"),
        validators=[Length(max=INTRO_MAX, message=_l("Keep the introduction under 500 characters."))],
        render_kw={"maxlength": INTRO_MAX, "rows": 4},
    )
    slider_sociable = _slider(_l("Sociable or acting alone"))
    slider_producer = _slider(_l("Service user or user-producer"))
    slider_others = _slider(_l("Looking after yourself or others too"))
    slider_digital = _slider(_l("Electronic services or visiting in person"))
    guardian_name = StringField(
        _l("Guardian's name"), validators=[Optional(), Length(max=120)], render_kw={"autocomplete": "off"}
    )
    guardian_phone = TelField(
        _l("Guardian's mobile number"), validators=[Optional()], render_kw={"autocomplete": "off", "inputmode": "tel"}
    )

    #: Filled by :meth:`validate`.
    phone_value: str | None = None
    guardian_phone_value: str | None = None

    def fill_choices(self, locale: str) -> None:
        """Places and task types from the database, names in the user's language."""
        municipalities = list(db.session.scalars(sa.select(Municipality).order_by(Municipality.name)))
        self.municipality.choices = [SelectChoice("", str(_l("Choose…")))] + [
            SelectChoice(str(m.id), municipality_name(m, locale)) for m in municipalities
        ]
        village_choices = [SelectChoice("", str(_l("No village: the municipal centre")))]
        for m in municipalities:
            group = municipality_name(m, locale)
            village_choices += [
                SelectChoice(str(v.id), v.name, render_kw={"data-municipality": str(m.id)}, optgroup=group)
                for v in m.villages
            ]
        self.village.choices = village_choices
        task_types = db.session.scalars(
            sa.select(TaskType).where(TaskType.active.is_(True)).order_by(TaskType.sort_order, TaskType.id)
        )
        self.task_types.choices = [SelectChoice(t.code, t.name(locale)) for t in task_types]

    def minor_on_form(self) -> bool:
        """Whether the guardian fields apply (overridden where the birth date is known)."""
        return False

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.phone.data and not self.phone.errors:
            self.phone_value = phone_e164(self.phone)
        if not self.task_types.data:
            self.task_types.errors = [*self.task_types.errors, str(_l("Choose at least one kind of help."))]
        if not self.availability.data:
            self.availability.errors = [*self.availability.errors, str(_l("Choose at least one time you can help."))]
        if not self.languages.data:
            self.languages.errors = [*self.languages.errors, str(_l("Choose at least one language."))]
        if self.village.data and self.municipality.data:
            village = db.session.get(Village, self.village.data)
            if village is None or village.municipality_id != self.municipality.data:
                self.village.errors = [*self.village.errors, str(_l("This village is not in the chosen municipality."))]
        if self.minor_on_form():
            self._validate_guardian()
        return ok and not any(f.errors for f in self)

    def _validate_guardian(self) -> None:
        if not (self.guardian_name.data or "").strip():
            self.guardian_name.errors = [
                *self.guardian_name.errors,
                str(_l("You are under 18: write your guardian's name.")),
            ]
        if not (self.guardian_phone.data or "").strip():
            self.guardian_phone.errors = [
                *self.guardian_phone.errors,
                str(_l("You are under 18: write your guardian's mobile number.")),
            ]
        elif not self.guardian_phone.errors:
            self.guardian_phone_value = phone_e164(self.guardian_phone)
            if self.guardian_phone_value and self.guardian_phone_value == self.phone_value:
                self.guardian_phone.errors.append(str(_l("Give your guardian's own number, not yours.")))
                self.guardian_phone_value = None

    def details(self, *, with_guardian: bool) -> HelperDetails:
        availability = []
        for item in self.availability.data:
            day, part = item.split("-", 1)
            availability.append((int(day), part))
        return HelperDetails(
            first_name=self.first_name.data.strip(),
            last_name=self.last_name.data.strip(),
            phone=self.phone_value or "",
            municipality_id=self.municipality.data,
            village_id=self.village.data,
            address_text=(self.address_text.data or "").strip() or None,
            transport=self.transport.data,
            max_distance_km=self.max_distance_km.data,
            task_types=tuple(self.task_types.data),
            availability=tuple(availability),
            languages=tuple(self.languages.data),
            introduction=self.introduction.data or "",
            sliders=Sliders(
                self.slider_sociable.data, self.slider_producer.data, self.slider_others.data, self.slider_digital.data
            ),
            guardian_name=((self.guardian_name.data or "").strip() or None) if with_guardian else None,
            guardian_phone=self.guardian_phone_value if with_guardian else None,
        )


class RegistrationForm(BotCheckMixin, ProfileFieldsForm):
    """The public sign-up. It never says whether an address already has an account."""

    birth_date = LocalDateField(
        _l("Date of birth"),
        validators=[InputRequired(message=_l("Write your date of birth."))],
        render_kw={"autocomplete": "bday"},
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Write your email address.")),
            Email(message=_l("Check the email address, for example name@example.fi."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Choose a password.")),
            Length(min=10, max=200, message=_l("The password must be at least 10 characters long.")),
            NotCommonPassword(),
        ],
        render_kw={"autocomplete": "new-password", "minlength": 10},
    )
    password_confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(message=_l("Write the password again.")),
            EqualTo("password", message=_l("The passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    organization = SelectField(
        _l("Organization"), coerce=to_int, validators=[InputRequired(message=_l("Choose an organization."))]
    )
    privacy = BooleanField(
        _l("I have read how my information is used and agree to it."),
        validators=[DataRequired(message=_l("Your agreement is needed to sign up."))],
    )
    submit = SubmitField(_l("Sign up"))

    def fill_choices(self, locale: str) -> None:
        super().fill_choices(locale)
        organizations = active_organizations()
        self.organization.choices = [SelectChoice("", str(_l("Choose…")))] + [
            SelectChoice(
                str(o.id),
                f"{o.name} ({', '.join(municipality_name(m, locale) for m in o.municipalities)})"
                if o.municipalities
                else o.name,
            )
            for o in organizations
        ]
        if len(organizations) == 1 and self.organization.data is None:
            self.organization.data = organizations[0].id

    def minor_on_form(self) -> bool:
        born = self.birth_date.data
        return bool(born and not self.birth_date.errors and MIN_AGE <= age_on(born, today_local()) < ADULT_AGE)

    def validate_birth_date(self, field) -> None:
        born: date | None = field.data
        if born is None:
            return
        today = today_local()
        if born > today or born.year < 1900:
            raise ValidationError(str(_l("Check the date of birth.")))
        if age_on(born, today) < MIN_AGE:
            raise ValidationError(
                str(_l("You must be at least 13 years old to sign up. Welcome back when you turn 13!"))
            )

    def validate_organization(self, field) -> None:
        if field.data is not None and field.data not in {o.id for o in active_organizations()}:
            raise ValidationError(str(_l("Choose an organization from the list.")))

    def registration(self, locale: str) -> Registration:
        return Registration(
            details=self.details(with_guardian=self.minor_on_form()),
            email=self.email.data.strip(),
            password=self.password.data,
            birth_date=self.birth_date.data,
            organization_id=self.organization.data,
            locale=locale,
        )


class EditProfileForm(ProfileFieldsForm):
    submit = SubmitField(_l("Save changes"))

    #: Set by the route: the helper is a minor whose guardian details may still change.
    guardian_editable: bool = False

    def minor_on_form(self) -> bool:
        return self.guardian_editable


class PauseForm(FlaskForm):
    until = LocalDateField(
        _l("Pause until (this day included)"), validators=[InputRequired(message=_l("Choose the last day."))]
    )
    submit = SubmitField(_l("Pause"))


class ResumeForm(FlaskForm):
    submit = SubmitField(_l("Continue now"))


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my account is deleted for good."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))


class ConsentForm(FlaskForm):
    submit = SubmitField(_l("I give my consent"))


class WithdrawConsentForm(FlaskForm):
    submit = SubmitField(_l("Withdraw my consent"))


class ApproveForm(FlaskForm):
    identity_seen = BooleanField(_l("Identity seen (an ID card, a passport or a Kela card with a photo)"))
    training_held = BooleanField(_l("Introduction training held"))
    criminal_record_seen_on = LocalDateField(_l("Criminal record extract seen on (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Approve"))


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Write the reason for the suspension.")), Length(max=300)],
        render_kw={"rows": 2, "maxlength": 300},
    )
    submit = SubmitField(_l("Suspend now"))


class ReinstateForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Lift the suspension"))


class CorrectProfileForm(FlaskForm):
    youth_profile = SelectField(_l("Youth profile"), choices=[SelectChoice(p, p) for p in PROFILES])
    submit = SubmitField(_l("Save profile"))


class PhoneWithdrawalForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Record the guardian's withdrawal"))


class ResendConsentForm(FlaskForm):
    guardian_name = StringField(
        _l("Guardian's name"), validators=[DataRequired(message=_l("Write the guardian's name.")), Length(max=120)]
    )
    guardian_phone = TelField(
        _l("Guardian's mobile number"), validators=[DataRequired(message=_l("Write the guardian's mobile number."))]
    )
    submit = SubmitField(_l("Send a new consent request"))


class HelperFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or phone"), validators=[Optional(), Length(max=80)])
    status = SelectField(_l("Status"), validators=[Optional()])
    municipality = SelectField(_l("Municipality"), coerce=to_int, validators=[Optional()])


def municipality_name(m: Municipality, locale: str) -> str:
    return m.name_sv if locale == "sv" and m.name_sv else m.name


def active_organizations() -> list[Organization]:
    return list(
        db.session.scalars(
            sa.select(Organization).where(Organization.is_active.is_(True)).order_by(Organization.name)
        ).unique()
    )


class WeekCapsForm(FlaskForm):
    """The helper's own weekly limits (empty: no limit of their own)."""

    max_errands_week = WholeNumberField(
        _l("At most this many errands a week"), validators=[Optional(), NumberRange(1, 30)]
    )
    max_hours_week = WholeNumberField(_l("At most this many hours a week"), validators=[Optional(), NumberRange(1, 60)])
    submit = SubmitField(_l("Save my limits"))


class AwayForm(FlaskForm):
    """Days the helper cannot help, whatever their usual times say."""

    kind = RadioField(
        _l("Why"),
        choices=[
            SelectChoice("not_this_week", _l("Not this week")),
            SelectChoice("holiday", _l("Holiday")),
            SelectChoice("exams", _l("Exam week")),
            SelectChoice("other", _l("Something else")),
        ],
        default="not_this_week",
        validators=[InputRequired(message=_l("Choose one."))],
    )
    first_day = LocalDateField(
        lazy_pgettext("date range", "From"), validators=[InputRequired(message=_l("Choose the first day."))]
    )
    last_day = LocalDateField(
        _l("To (this day included)"), validators=[InputRequired(message=_l("Choose the last day."))]
    )
    submit = SubmitField(_l("Add"))

    def validate_first_day(self, field) -> None:
        if field.data is not None and field.data < today_local():
            raise ValidationError(_l("Choose today or a later day."))

    def validate_last_day(self, field) -> None:
        first = self.first_day.data
        if field.data is not None and first is not None:
            if field.data < first:
                raise ValidationError(_l("The last day cannot be before the first day."))
            if (field.data - first).days > 366:
                raise ValidationError(_l("At most a year at a time. Choose an earlier day."))

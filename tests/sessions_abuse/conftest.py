"""The helper area's sign-up fixtures, used here for the sign-up's abuse limits."""

from tests.helpers.conftest import org, signup  # noqa: F401

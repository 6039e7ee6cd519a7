"""An administrator who mistypes a setting is told which one and what it takes, not shown a
traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.config import Config, ConfigError

NUMBERS = ["PAVERKAN_POOL_SIZE", "PAVERKAN_ADMIN_IDLE_MINUTES", "PAVERKAN_SESSION_IDLE_DAYS",
           "PAVERKAN_SCRUB_WAIT_SECONDS"]


@pytest.mark.parametrize("name", NUMBERS)
@pytest.mark.parametrize("value", ["abc", "-1", "nan", "3,5"])
def test_a_number_setting_that_is_not_one_names_the_variable_and_what_it_takes(
    tmp_path, name, value
):
    with pytest.raises(ConfigError) as error:
        Config(tmp_path, {name: value, "PAVERKAN_SECRET_KEY": "s"})
    assert str(error.value).startswith(f"{name}={value!r}")
    assert "number" in str(error.value)


def test_number_settings_keep_their_defaults_and_take_good_values(tmp_path):
    config = Config(tmp_path, {"PAVERKAN_SECRET_KEY": "s", "PAVERKAN_POOL_SIZE": " 12 ",
                               "PAVERKAN_SCRUB_WAIT_SECONDS": "2.5",
                               "PAVERKAN_SESSION_IDLE_DAYS": ""})
    assert (config.POOL_SIZE, config.SCRUB_WAIT_SECONDS) == (12, 2.5)
    assert (config.SESSION_IDLE_DAYS, config.ADMIN_IDLE_MINUTES) == (14, 30)


def test_the_paverkan_command_says_which_setting_is_wrong_without_a_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["round", "status"], env={
        "PAVERKAN_POOL_SIZE": "abc", "PAVERKAN_SECRET_KEY": "s",
        "PAVERKAN_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    })
    assert result.exit_code == 2
    assert "PAVERKAN_POOL_SIZE='abc'" in result.output and "whole number" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)

"""The janitor's logger (`lambdas.logs`)."""

from lambdas.logs import json_logger

logger = json_logger("keystone-janitor")

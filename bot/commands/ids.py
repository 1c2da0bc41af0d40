"""Identifiers shared by templates, listeners and forms (Slack action and callback ids)."""

from bot.rendering import ACTION_ID_PREFIX

__all__ = ["ACTION_ID_PREFIX", "FORM_CALLBACK_ID", "FORM_VALUE_ACTION_ID"]

# Every modal built from a Form uses this callback id; private_metadata says which command.
FORM_CALLBACK_ID = "bk.form"
# The input element inside each form field's block (the block_id is the field name).
FORM_VALUE_ACTION_ID = "value"

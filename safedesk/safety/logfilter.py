"""A logging filter that runs the secret shield over every record before a handler writes it:
the message with its arguments, the traceback and the stack, so that a secret in an exception's
text or in a logged value never reaches a log file."""

from __future__ import annotations

import logging

from safedesk.safety.shield import shield_text

_formatter = logging.Formatter()


class ShieldFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message: logging reports it
            return True
        shielded = shield_text(message)
        if shielded != message:
            record.msg, record.args = shielded, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = shield_text(record.exc_text)
        if record.stack_info:
            record.stack_info = shield_text(record.stack_info)
        return True

"""Outgoing e-mail: SMTP when configured, otherwise the message goes to the log (development)."""
import smtplib
from email.message import EmailMessage

from flask import current_app


def send(to, subject, body):
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        current_app.logger.warning("E-mail to %s (no MAIL_SERVER set): %s\n%s", to, subject, body)
        return False
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    return True

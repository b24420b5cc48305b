"""Where customer messages come in and answers go out: IMAP, SMTP, .eml/.mbox files, a helpdesk webhook."""

"""Attachments (附件): the system's only uploads.

Files are checked by their own bytes against an allowlist (`validation`), stored under
random names in ATTACHMENT_ROOT, outside every served directory (`storage`), written
by one action (`actions.attach_file`) and served only through the visibility rule
(`views.download`, and the API's `GET /api/v1/attachments/{id}`). They are never
edited or deleted (R-F7: superseded, not edited).
"""

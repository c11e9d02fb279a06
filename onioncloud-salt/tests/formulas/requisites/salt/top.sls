#!jinja|yaml
base:
  'G@kernel:Linux and web*':
    - match: compound
    - app
  'web-\d+':
    - match: pcre
    - tricky
  'role:web':
    - match: pillar
    - app.db.backup

include:
  - .db
  - .web

vim: pkg.installed

tools:
  pkg.installed:
    - pkgs:
      - curl
      - git
    - require_in:
      - cmd: app-migrate

include:
  - ..web

backup-script:
  file.managed:
    - name: /usr/local/bin/app-backup
    - contents: |
        #!/bin/sh
        pg_dump app > /var/backups/app.sql
    - mode: '0755'
    - use:
      - file: db-config
    - onchanges_in:
      - cmd: backup-run
    - onfail_in:
      - test: backup-alert

backup-run:
  cmd.run:
    - name: /usr/local/bin/app-backup
    - onfail:
      - cmd: app-migrate
    - require:
      - sls: app.web

backup-alert:
  test.fail_without_changes:
    - name: backup failed
    - use_in:
      - test: backup-alert-copy

backup-alert-copy:
  test.succeed_without_changes: []

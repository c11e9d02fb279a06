app-user:
  user.present:
    - name: app
    - system: True

app-migrate:
  cmd.run:
    - name: /srv/app/bin/migrate
    - runas: app
    - cwd: /srv/app
    - require:
      - app-user
      - id: vim
    - onchanges:
      - file: app-release
    - prereq:
      - file: app-release

app-release:
  file.managed:
    - name: /srv/app/RELEASE
    - contents: '1.10'
    - makedirs: True

app-restart:
  cmd.run:
    - name: systemctl restart app
    - require_any:
      - cmd: app-migrate
      - file: app-release
    - watch_any:
      - file: /srv/app/RELEASE
    - onchanges_any:
      - cmd: app-migrate
      - file: app-release
    - onfail_any:
      - cmd: app-migrate
    - listen:
      - file: app-release

app-rollback:
  cmd.run:
    - name: /srv/app/bin/rollback
    - onfail_all:
      - cmd: app-migrate
      - cmd: app-restart
    - watch:
      - user: app

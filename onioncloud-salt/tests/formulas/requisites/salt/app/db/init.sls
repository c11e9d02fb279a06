postgresql:
  pkg:
    - installed
  service.running:
    - enable: True
    - require:
      - pkg: postgresql
    - watch_in:
      - cmd: app-migrate

db-config:
  file.managed:
    - name: /etc/postgresql/app.conf
    - contents: "listen_addresses = '*'\n"
    - prereq_in:
      - service: postgresql
    - listen_in:
      - service: postgresql

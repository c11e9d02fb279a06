#!yaml
postgresql:
  pkg.installed:
    - name: postgresql
/etc/postgresql/15/main/conf.d/onioncloud.conf:
  file.managed:
    - name: /etc/postgresql/15/main/conf.d/onioncloud.conf
    - contents: |
        listen_addresses = '*'
        ssl = on
        password_encryption = scram-sha-256
        log_connections = on
        log_disconnections = on
    - mode: '0644'
    - makedirs: true
    - require:
        - pkg: postgresql
/var/backups/orders:
  file.directory:
    - name: /var/backups/orders
    - user: root
    - group: root
    - mode: '0700'
    - makedirs: true
postgresql-service:
  service.running:
    - name: postgresql
    - enable: true
    - watch:
        - file: /etc/postgresql/15/main/conf.d/onioncloud.conf

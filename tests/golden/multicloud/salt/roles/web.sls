#!yaml
nginx:
  pkg.installed:
    - name: nginx
orders:
  user.present:
    - name: orders
    - system: true
    - home: /srv/orders
    - shell: /usr/sbin/nologin
    - createhome: false
/srv/orders:
  file.directory:
    - name: /srv/orders
    - user: orders
    - group: orders
    - mode: '0750'
    - require:
        - user: orders
/etc/nginx/conf.d/orders.conf:
  file.managed:
    - name: /etc/nginx/conf.d/orders.conf
    - contents: |
        server {
            listen 8080;
            server_tokens off;

            location = /healthz {
                return 200 "ok\n";
            }

            location / {
                proxy_pass http://127.0.0.1:9000;
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            }
        }
    - mode: '0644'
    - makedirs: true
    - require:
        - pkg: nginx
nginx-config-test:
  cmd.run:
    - name: nginx -t
    - onchanges:
        - file: /etc/nginx/conf.d/orders.conf
nginx-service:
  service.running:
    - name: nginx
    - enable: true
    - require:
        - cmd: nginx-config-test
    - watch:
        - file: /etc/nginx/conf.d/orders.conf

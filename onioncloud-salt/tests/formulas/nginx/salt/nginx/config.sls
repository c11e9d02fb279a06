nginx-config:
  file.managed:
    - name: /etc/nginx/nginx.conf
    - source: salt://nginx/files/nginx.conf
    - template: jinja
    - user: root
    - group: root
    - mode: '0644'
    - require:
      - pkg: nginx

nginx-sites-dir:
  file.directory:
    - name: /etc/nginx/sites-enabled
    - mode: 755
    - makedirs: True
    - require:
      - pkg: nginx

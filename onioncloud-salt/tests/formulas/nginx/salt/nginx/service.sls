include:
  - nginx

nginx-service:
  service:
    - running
    - name: nginx
    - enable: True
    - reload: True
    - watch:
      - file: nginx-config
      - file: /etc/nginx/sites-enabled
    - require:
      - pkg: nginx

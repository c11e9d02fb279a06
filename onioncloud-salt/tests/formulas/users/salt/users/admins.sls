include:
  - users

admins:
  group.present:
    - gid: 2100
    - members:
      - deploy
    - require:
      - user: deploy

sudoers-admins:
  file.managed:
    - name: /etc/sudoers.d/admins
    - contents: |
        %admins ALL=(ALL) NOPASSWD: ALL
    - mode: '0440'
    - check_cmd: /usr/sbin/visudo -c -f
    - require:
      - group: admins

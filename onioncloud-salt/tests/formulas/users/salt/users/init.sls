#!yaml
deploy-group:
  group.present:
    - name: deploy
    - gid: 2001

deploy:
  user.present:
    - uid: 2001
    - gid: 2001
    - home: /home/deploy
    - shell: /bin/bash
    - groups:
      - deploy
      - www-data
    - fullname: 'Deploy {{ user }}'
    - createhome: yes
    - require:
      - group: deploy-group
  file.directory:
    - name: /home/deploy/.ssh
    - user: deploy
    - mode: 0700
    - require:
      - user: deploy
  ssh_auth.present:
    - user: deploy
    - names:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3exampleexampleexampleexample deploy@laptop
    - require:
      - file: /home/deploy/.ssh

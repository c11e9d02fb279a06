#!yaml
prometheus-node-exporter:
  pkg.installed:
    - name: prometheus-node-exporter
node-exporter-service:
  service.running:
    - name: prometheus-node-exporter
    - enable: true
    - require:
        - pkg: prometheus-node-exporter

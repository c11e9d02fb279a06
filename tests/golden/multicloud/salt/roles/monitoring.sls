#!yaml
prometheus:
  pkg.installed:
    - name: prometheus
/etc/prometheus/targets:
  file.directory:
    - name: /etc/prometheus/targets
    - mode: '0755'
    - makedirs: true
/etc/prometheus/prometheus.yml:
  file.managed:
    - name: /etc/prometheus/prometheus.yml
    - contents: |
        global:
          scrape_interval: 30s
        scrape_configs:
          - job_name: node
            file_sd_configs:
              - files:
                  - /etc/prometheus/targets/*.json
    - mode: '0644'
    - makedirs: true
    - require:
        - pkg: prometheus
        - file: /etc/prometheus/targets
prometheus-service:
  service.running:
    - name: prometheus
    - enable: true
    - watch:
        - file: /etc/prometheus/prometheus.yml

#!yaml
tricky-values:
  test.configurable_test_state:
    - name: tricky
    - changes: False
    - result: True
    - comment: 'yes'
    - octal_quoted: '0644'
    - octal_plain: 0644
    - octal_signed: -0644
    - hex: 0x1F
    - binary: 0b101
    - underscore: 1_000
    - sexagesimal: 190:20:30
    - version_float: 1.10
    - version_string: '1.10'
    - float_exp: 1.0e+3
    - not_a_float: 1e3
    - leading_zero_string: 08
    - date: 2024-01-02
    - timestamp: 2001-12-14 21:59:43.10 -5
    - date_quoted: '2024-01-02'
    - flags: [yes, no, on, off, Yes, NO, y, n, true, False]
    - nothing: ~
    - empty:
    - null_word: Null
    - tilde_string: '~'
    - jinja_looking: '{{ not jinja }}'
    - unicode: "caf\u00e9 \u2713"
    - folded: >
        folded text
        on lines
    - literal: |
        line one
          indented
    - map:
        zeta: 1
        alpha: [a, b]
        nested: {x: yes, y: '0x10'}
    - anchored: &shared
        - one
        - two
    - aliased: *shared
    - forced_string: !!str 0644

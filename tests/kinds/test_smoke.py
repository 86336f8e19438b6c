from tests.helpers import ids_lines


def test_overlap_is_reported_on_the_later_widget(check_yaml):
    findings = check_yaml("""
        apiVersion: genesys-compliance/v1
        kind: DesktopLayout
        metadata: {name: l}
        spec:
          name: L
          grid: {columns: 24, rows: 16}
          widgets:
            - {widget_type: queue-widget, id: a, position: {x: 0, y: 0, width: 2, height: 2}}
            - {widget_type: queue-widget, id: b, position: {x: 1, y: 1, width: 2, height: 2}}
        """)
    assert ids_lines(findings) == [("layout/overlap", 9)]
    assert findings[0].file == "configs/c.yaml"

"""Support code of the Keystone DAGs: settings, defaults, alerts, the tasks' work. Not DAG files (.airflowignore)."""

"""The local Airflow: its venv (venv), a throwaway home to run DAGs in (home), the twin's DAG settings (settings)."""

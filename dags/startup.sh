#!/bin/sh
# MWAA startup script (deployed as mwaa/startup.sh, its object version pinned by the orchestration stack).
# MWAA sources it on every container start, before Airflow starts; the variables it exports reach every task.
#
# dbt-athena and Great Expectations each get a virtualenv of their own on the workers, apart from Airflow's
# constrained environment (see requirements-mwaa.txt); the DAGs find them through the two variables below.
# Versions match the local twin: dbt as in requirements-dev.txt, the quality stack as in requirements-airflow.txt.

KEYSTONE_TOOLS_DIR="${AIRFLOW_HOME:-/usr/local/airflow}/keystone-tools"
export KEYSTONE_RUNTIME="aws"
export KEYSTONE_DBT_TARGET="athena"
export KEYSTONE_DBT_EXECUTABLE="${KEYSTONE_TOOLS_DIR}/dbt/bin/dbt"
export KEYSTONE_QUALITY_PYTHON="${KEYSTONE_TOOLS_DIR}/quality/bin/python"

keystone_venv() {
    name="$1"
    shift
    if [ -x "${KEYSTONE_TOOLS_DIR}/${name}/bin/python" ]; then
        return 0
    fi
    echo "keystone startup: creating the ${name} virtualenv in ${KEYSTONE_TOOLS_DIR}/${name}"
    if python3 -m venv "${KEYSTONE_TOOLS_DIR}/${name}.partial" &&
        "${KEYSTONE_TOOLS_DIR}/${name}.partial/bin/pip" install --quiet --no-cache-dir "$@"; then
        mv "${KEYSTONE_TOOLS_DIR}/${name}.partial" "${KEYSTONE_TOOLS_DIR}/${name}"
    else
        echo "keystone startup: FAILED to create the ${name} virtualenv (pip install $*); its tasks will fail" >&2
        rm -rf "${KEYSTONE_TOOLS_DIR}/${name}.partial"
        return 1
    fi
}

# Only workers run tasks; the scheduler, DAG processor and web server parse DAGs, which needs neither tool.
if [ "${MWAA_AIRFLOW_COMPONENT:-worker}" = "worker" ]; then
    mkdir -p "${KEYSTONE_TOOLS_DIR}"
    keystone_venv dbt "dbt-core==1.11.16" "dbt-athena-community==1.11.1"
    keystone_venv quality "great-expectations==1.5.11" "pandas==2.1.4" "numpy==1.26.4" "pyarrow==21.0.0" \
        "boto3>=1.37,<2"
fi

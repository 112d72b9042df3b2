#!/bin/sh
# MWAA startup script (deployed as mwaa/startup/startup.sh, its object version pinned by the orchestration stack).
# MWAA sources it with bash on every container start, before Airflow starts, and stops it after five minutes;
# the variables it exports reach every task.
#
# dbt-athena and Great Expectations each get a virtualenv of their own, apart from Airflow's constrained
# environment (see requirements-mwaa.txt); the DAGs find them through the two variables below. Their wheels come
# with plugins.zip (keystone-tools/<tool>/, built by stacks/constructs/mwaa_plugins.py from
# dags/requirements-<tool>.txt), so pip installs them without a package index.

KEYSTONE_TOOLS_DIR="${AIRFLOW_HOME:-/usr/local/airflow}/keystone-tools"
KEYSTONE_SHIPPED_TOOLS="${AIRFLOW_HOME:-/usr/local/airflow}/plugins/keystone-tools"
export KEYSTONE_RUNTIME="aws"
export KEYSTONE_DBT_TARGET="athena"
export KEYSTONE_DBT_EXECUTABLE="${KEYSTONE_TOOLS_DIR}/dbt/bin/dbt"
export KEYSTONE_QUALITY_PYTHON="${KEYSTONE_TOOLS_DIR}/quality/bin/python"

keystone_venv() {
    name="$1"
    shipped="${KEYSTONE_SHIPPED_TOOLS}/${name}"
    venv="${KEYSTONE_TOOLS_DIR}/${name}"
    if [ -f "${venv}/.complete" ]; then
        return 0
    fi
    if [ ! -f "${shipped}/requirements.lock" ] || [ ! -d "${shipped}/wheels" ]; then
        echo "keystone startup: FAILED: plugins.zip lacks keystone-tools/${name}/requirements.lock or" \
            "keystone-tools/${name}/wheels; the ${name} tasks will fail" >&2
        return 1
    fi
    echo "keystone startup: creating the ${name} virtualenv in ${venv} from ${shipped}"
    # Built in place: a virtualenv's scripts name its interpreter by absolute path, so it cannot be moved after.
    # Bytecode is compiled on first import instead: it would double the install time inside the startup limit.
    rm -rf "${venv}"
    if python3 -m venv "${venv}" &&
        "${venv}/bin/pip" install --quiet --disable-pip-version-check --no-compile --no-index \
            --find-links "${shipped}/wheels" --require-hashes -r "${shipped}/requirements.lock"; then
        touch "${venv}/.complete"
    else
        echo "keystone startup: FAILED to create the ${name} virtualenv from ${shipped}; its tasks will fail" >&2
        rm -rf "${venv}"
        return 1
    fi
}

# Tasks run on workers and, on the smallest environment class, in the hybrid scheduler-and-worker container.
# The web server and the scheduler (with the DAG processor and triggerer) only parse DAGs, which needs no tool.
case "${MWAA_AIRFLOW_COMPONENT:-}" in
webserver | scheduler) ;;
*)
    mkdir -p "${KEYSTONE_TOOLS_DIR}"
    keystone_venv dbt
    keystone_venv quality
    ;;
esac

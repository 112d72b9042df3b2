"""The AWS actions the MWAA execution role allows for the work the DAGs do: dbt-athena, Athena, and the DAG tasks.

The one list of them. `stacks/orchestration.py` builds the role's data statements from the grants below, and
`tests/test_mwaa_role.py` re-derives the calls from the pinned dbt-athena-community source and the DAG code, checks
them against these tables, and evaluates the synthesized role against every (action, resource) they imply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotCalled:
    """A call the library contains that this project's configuration never reaches, and why."""

    reason: str


_LAKE_FORMATION = NotCalled("only with the lf_tags_config / lf_grants model configs or lf_tags_database, never set")
_SPARK = NotCalled("only for Python (Spark) models, which the project has none of")
_NON_GLUE_CATALOG = NotCalled("only for a data catalog other than awsdatacatalog; the profile uses awsdatacatalog")

# Every AWS SDK call in the dbt-athena-community that dags/requirements-dbt.txt pins (dbt/adapters/athena/*.py; the
# default `api` connection manager sends queries through its own boto3 client, not pyathena's):
# (boto3 service, method) -> IAM action.
DBT_ATHENA_CALLS: dict[tuple[str, str], str | NotCalled] = {
    ("athena", "start_query_execution"): "athena:StartQueryExecution",
    ("athena", "get_query_execution"): "athena:GetQueryExecution",
    ("athena", "get_query_results"): "athena:GetQueryResults",
    ("athena", "stop_query_execution"): "athena:StopQueryExecution",
    ("athena", "get_work_group"): "athena:GetWorkGroup",
    ("athena", "get_data_catalog"): _NON_GLUE_CATALOG,
    ("athena", "list_table_metadata"): _NON_GLUE_CATALOG,
    ("athena", "start_session"): _SPARK,
    ("athena", "get_session_status"): _SPARK,
    ("athena", "start_calculation_execution"): _SPARK,
    ("athena", "get_calculation_execution"): _SPARK,
    ("athena", "stop_calculation_execution"): _SPARK,
    ("glue", "get_database"): "glue:GetDatabase",
    ("glue", "get_databases"): "glue:GetDatabases",
    ("glue", "get_table"): "glue:GetTable",
    ("glue", "get_tables"): "glue:GetTables",
    ("glue", "update_table"): "glue:UpdateTable",
    ("glue", "delete_table"): "glue:DeleteTable",
    ("glue", "get_table_versions"): "glue:GetTableVersions",
    ("glue", "delete_table_version"): "glue:DeleteTableVersion",
    ("glue", "get_partitions"): "glue:GetPartitions",
    ("glue", "batch_create_partition"): "glue:BatchCreatePartition",
    ("glue", "batch_delete_partition"): "glue:BatchDeletePartition",
    ("glue", "delete_database"): NotCalled(
        "only from adapter.drop_glue_database (macro drop_glue_database), which the project never calls; the "
        "Catalog stack owns the databases"
    ),
    ("lakeformation", "add_lf_tags_to_resource"): _LAKE_FORMATION,
    ("lakeformation", "get_resource_lf_tags"): _LAKE_FORMATION,
    ("lakeformation", "remove_lf_tags_from_resource"): _LAKE_FORMATION,
    ("lakeformation", "list_data_cells_filter"): _LAKE_FORMATION,
    ("lakeformation", "create_data_cells_filter"): _LAKE_FORMATION,
    ("lakeformation", "update_data_cells_filter"): _LAKE_FORMATION,
    ("lakeformation", "delete_data_cells_filter"): _LAKE_FORMATION,
    ("lakeformation", "list_permissions"): _LAKE_FORMATION,
    ("lakeformation", "batch_grant_permissions"): _LAKE_FORMATION,
    ("lakeformation", "batch_revoke_permissions"): _LAKE_FORMATION,
    # S3 authorizes these operations as the bucket- or object-level action (S3 API reference, "Permissions").
    ("s3", "list_objects"): "s3:ListBucket",
    ("s3", "list_objects_v2"): "s3:ListBucket",
    ("s3", "delete_objects"): "s3:DeleteObject",
    ("s3", "upload_file"): "s3:PutObject",
    ("sts", "get_caller_identity"): NotCalled("STS GetCallerIdentity needs no permission (STS API reference)"),
    ("sts", "assume_role"): NotCalled("only with assume_role_arn in the profile, which is not set"),
}

# Athena runs each statement dbt sends with the caller's identity, and the statement calls Glue for it: Athena User
# Guide, "Configure access to databases and tables in the AWS Glue Data Catalog", table "Examples of fine-grained
# permissions to tables and databases":
# https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
# Iceberg writes (MERGE, INSERT, DELETE, OPTIMIZE, VACUUM) commit a new metadata location with UpdateTable;
# CREATE OR REPLACE VIEW creates or updates the view's table.
ATHENA_STATEMENT_GLUE_ACTIONS: dict[str, tuple[str, ...]] = {
    "CREATE DATABASE": ("glue:GetDatabase", "glue:CreateDatabase"),
    "CREATE TABLE": ("glue:GetDatabase", "glue:GetTable", "glue:CreateTable"),
    "CREATE VIEW": ("glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable"),
    "ALTER TABLE": ("glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"),
    "DROP TABLE": (
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:DeleteTable",
        "glue:GetPartitions",
        "glue:GetPartition",
        "glue:DeletePartition",
    ),
    "SHOW TABLES": ("glue:GetDatabase", "glue:GetTables"),
    "SELECT": ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"),
    "ICEBERG WRITE": ("glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"),
}
# Same page, "Mandatory: access policy to the default database and catalog per AWS Region": every Athena query needs
# these two actions on the catalog and the `default` database.
ATHENA_DEFAULT_DATABASE_ACTIONS = ("glue:GetDatabase", "glue:CreateDatabase")
DEFAULT_DATABASE = "default"

# What the DAG tasks call (dags/, quality/): Airflow hook or boto3 client method -> IAM action.
DAG_CALLS: dict[tuple[str, str], str] = {
    ("S3Hook", "list_keys"): "s3:ListBucket",
    ("S3Hook", "check_for_key"): "s3:GetObject",  # HeadObject is authorized as s3:GetObject
    ("S3Hook", "head_object"): "s3:GetObject",
    ("S3Hook", "read_key"): "s3:GetObject",
    ("S3Hook", "load_string"): "s3:PutObject",
    ("s3", "list_objects_v2"): "s3:ListBucket",
    ("s3", "get_object"): "s3:GetObject",
    ("s3", "upload_file"): "s3:PutObject",
    ("LambdaHook", "invoke_lambda"): "lambda:InvokeFunction",
    ("SnsHook", "publish_to_target"): "sns:Publish",
}

# --- The grants, by resource: what orchestration.py puts in the role. ---

ATHENA_WORKGROUP_ACTIONS = (
    "athena:StartQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StopQueryExecution",
    "athena:GetWorkGroup",
)
# dbt lists the catalog's databases before it creates schemas (dbt-core create_schemas -> list_schemas ->
# GetDatabases). Glue authorizes GetDatabases on the catalog and the databases it returns, so it takes
# `database/*` (the same Athena page's SHOW DATABASES example grants it on exactly that); it reveals database names
# and nothing else.
GLUE_LIST_DATABASES_ACTIONS = ("glue:GetDatabases",)
# Bronze is the Catalog stack's; dbt and Athena only read it.
GLUE_READ_ACTIONS = ("glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions")
# Silver and Gold are dbt's: its materializations and the statements it sends create, replace and drop tables.
GLUE_WRITE_ACTIONS = (
    *GLUE_READ_ACTIONS,
    "glue:CreateDatabase",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:DeleteTable",
    "glue:GetTableVersions",
    "glue:DeleteTableVersion",
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
    "glue:DeletePartition",
)
# The landing bucket is only listed (the drop sensor); the ingestion Lambda reads the files.
S3_LIST_ACTIONS = ("s3:ListBucket",)
# Bronze is read by Athena queries, the quality checkpoint and the manifest check.
S3_READ_ACTIONS = ("s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject")
# Silver, Gold and the query results are written by Athena as the caller (table data, Iceberg files, results), and
# dbt-athena deletes the data of tables it replaces. The multipart actions are those AWS grants Athena callers on
# query results (managed policy AmazonAthenaFullAccess, Athena User Guide).
S3_WRITE_ACTIONS = (
    *S3_READ_ACTIONS,
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
)
# The DAGs' state (ingestion ledger, validated batches) and Data Docs under the artifacts bucket's state prefix: the
# S3Hook writes with replace=True and never deletes (MWAA's own statement already reads the whole bucket).
ARTIFACT_STATE_ACTIONS = ("s3:PutObject",)
# Layers by what the role may do in them (environments.Environment.glue_database / bucket_name take these names).
READ_LAYERS = ("bronze",)
WRITE_LAYERS = ("silver", "gold")

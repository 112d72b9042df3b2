"""Derive the architecture (nodes grouped by stack, and data-flow edges) from synthesized templates.

Nodes are the resources a reader cares about, found by type; edges come from what each resource's
properties refer to (Ref, GetAtt, imports, physical names), turned into a direction by the pair of
kinds involved (a connector that names a cluster reads from it; one that names a bucket writes to it).
Labels carry no environment slug, so every branch yields the same model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from costs.assembly import SynthesizedStack, environment_of, purpose

PRODUCERS = "external:kafka-producers"
CSV_DROPS = "external:csv-drops"
DBT = "external:dbt"
_EXTERNAL_LABELS = {PRODUCERS: "Kafka producers", CSV_DROPS: "Olist CSV drops", DBT: "dbt (Cosmos tasks)"}
_TRIGGERS = {"Custom::S3BucketNotifications", "AWS::Lambda::EventSourceMapping", "AWS::Events::Rule"}
_HASH_SUFFIX = re.compile(r"-[0-9a-f]{8}$")


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    label: str
    stack: str | None  # None: outside AWS


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass
class Architecture:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def to_json(self) -> dict:
        stacks = sorted({node.stack for node in self.nodes if node.stack})
        return {
            "stacks": [
                {
                    "name": stack,
                    "nodes": [{"id": n.id, "kind": n.kind, "label": n.label} for n in self.nodes if n.stack == stack],
                }
                for stack in stacks
            ],
            "external": [{"id": n.id, "label": n.label} for n in self.nodes if n.stack is None],
            "edges": [{"from": e.source, "to": e.target, "label": e.label} for e in self.edges],
        }


@dataclass(frozen=True)
class _Resource:
    stack: SynthesizedStack
    logical_id: str
    type: str
    properties: dict


def derive(stacks: list[SynthesizedStack]) -> Architecture:
    slug = environment_of(stacks)
    resources = {
        (stack.name, logical_id): _Resource(stack, logical_id, r["Type"], r.get("Properties", {}))
        for stack in stacks
        for logical_id, r in stack.template.get("Resources", {}).items()
    }
    nodes = {key: node for key, resource in resources.items() if (node := _node(resource, slug))}
    names = {_physical_name(resources[key]): key for key in nodes if _physical_name(resources[key])}
    exports = _exports(stacks)

    def mentions(key: tuple[str, str], seen: frozenset = frozenset()) -> Iterator[tuple[str, tuple[str, str]]]:
        """(top-level property, node) pairs a resource refers to, following references through non-node resources."""
        resource = resources[key]
        for prop, value in resource.properties.items():
            for target in _references(value, resource.stack.name, names, exports):
                if target in nodes and target != key:
                    yield prop, target
                elif target in resources and target not in nodes and target not in seen and target != key:
                    yield from ((prop, t) for _, t in mentions(target, seen | {key}))

    edges: set[Edge] = set()
    triggered: set[tuple[str, str]] = set()
    for key, resource in resources.items():
        if resource.type in _TRIGGERS:
            found = {nodes[t].kind: t for _, t in mentions(key)}
            if "bucket" in found and "function" in found:
                triggered.add((found["bucket"], found["function"]))
                edges.add(Edge(nodes[found["bucket"]].id, nodes[found["function"]].id, "object created"))
        if resource.type == "AWS::Lambda::EventInvokeConfig":
            found = {nodes[t].kind: t for _, t in mentions(key)}
            if "function" in found and "queue" in found:
                edges.add(Edge(nodes[found["function"]].id, nodes[found["queue"]].id, "failed events"))
    for key, node in nodes.items():
        for prop, target in set(mentions(key)):
            edge = _edge(node, prop, nodes[target], (target, key) in triggered)
            if edge:
                edges.add(edge)
    edges |= _implied_edges(list(nodes.values()))
    all_nodes = list(nodes.values()) + _external_nodes(list(nodes.values()))
    return Architecture(
        nodes=sorted(set(all_nodes), key=lambda n: (n.stack or "", n.id)),
        edges=sorted(edges, key=lambda e: (e.source, e.target, e.label)),
    )


def _purpose(name: str, slug: str) -> str:
    return _HASH_SUFFIX.sub("", purpose(name, slug))


def _node(resource: _Resource, slug: str) -> Node | None:
    p, stack = resource.properties, resource.stack.component
    match resource.type:
        case "AWS::S3::Bucket" if isinstance(p.get("BucketName"), str):
            purpose = _purpose(p["BucketName"], slug)
            return (
                None
                if purpose == "access-logs"
                else Node(f"{stack}:bucket:{purpose}", "bucket", f"S3 {purpose}", stack)
            )
        case "AWS::MSK::Cluster" | "AWS::MSK::ServerlessCluster":
            return Node(f"{stack}:msk", "msk", "MSK cluster", stack)
        case "AWS::KafkaConnect::Connector":
            return Node(
                f"{stack}:connector:{_purpose(p['ConnectorName'], slug)}", "connector", "MSK Connect S3 sink", stack
            )
        case "AWS::Lambda::Function" if isinstance(p.get("FunctionName"), str):
            purpose = _purpose(p["FunctionName"], slug)
            return Node(f"{stack}:function:{purpose}", "function", f"Lambda {purpose}", stack)
        case "AWS::MWAA::Environment":
            return Node(f"{stack}:mwaa", "mwaa", "MWAA (Airflow)", stack)
        case "AWS::Glue::Database":
            layer = p["DatabaseInput"]["Name"].rsplit("_", 1)[-1]
            return Node(f"{stack}:glue:{layer}", "glue", f"Glue {layer}", stack)
        case "AWS::Athena::WorkGroup":
            return Node(f"{stack}:athena", "athena", "Athena workgroup", stack)
        case "AWS::SQS::Queue" if isinstance(p.get("QueueName"), str):
            purpose = _purpose(p["QueueName"], slug)
            return Node(f"{stack}:queue:{purpose}", "queue", f"SQS {purpose}", stack)
        case "AWS::SNS::Topic":
            return Node(f"{stack}:topic", "topic", "SNS alerts", stack)
        case "AWS::CloudWatch::Alarm":
            return Node(f"{stack}:alarms", "alarms", "CloudWatch alarms", stack)
        case "AWS::CloudWatch::Dashboard":
            return Node(f"{stack}:dashboard", "dashboard", "CloudWatch dashboard", stack)
        case "AWS::KMS::Key":
            return Node(f"{stack}:kms", "kms", "KMS key", stack)
        case "AWS::EC2::VPC":
            return Node(f"{stack}:vpc", "vpc", "VPC (2 AZs, private subnets)", stack)
    return None


def _physical_name(resource: _Resource) -> str | None:
    p = resource.properties
    for key in ("BucketName", "FunctionName", "Name", "ConnectorName", "QueueName", "TopicName", "ClusterName"):
        if isinstance(p.get(key), str):
            return p[key]
    return None


def _exports(stacks: list[SynthesizedStack]) -> dict[str, tuple[str, str]]:
    """export name -> (stack, logical id) of the resource it exports."""
    exports = {}
    for stack in stacks:
        for output in stack.template.get("Outputs", {}).values():
            name, value = output.get("Export", {}).get("Name"), output.get("Value", {})
            target = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0] if isinstance(value, dict) else None
            if isinstance(name, str) and target:
                exports[name] = (stack.name, target)
    return exports


def _references(value: object, stack: str, names: dict[str, tuple[str, str]], exports: dict) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield (stack, inner)
            elif key == "Fn::GetAtt" and isinstance(inner, list) and inner:
                yield (stack, inner[0])
            elif key == "Fn::ImportValue" and isinstance(inner, str) and inner in exports:
                yield exports[inner]
            else:
                yield from _references(inner, stack, names, exports)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, stack, names, exports)
    elif isinstance(value, str):
        for name, key in names.items():
            if re.search(rf"(^|[^a-z0-9-]){re.escape(name)}($|[^a-z0-9-])", value):
                yield key


def _edge(node: Node, prop: str, target: Node, triggers_it: bool) -> Edge | None:
    match (node.kind, target.kind):
        case ("function", "msk"):
            return Edge(node.id, target.id, "produce")
        case ("connector", "msk"):
            return Edge(target.id, node.id, "consume topics")
        case ("connector", "bucket"):
            return Edge(node.id, target.id, "jsonl.gz")
        case ("function", "bucket") if not triggers_it:
            return Edge(node.id, target.id, "write")
        case ("function", "queue"):
            return Edge(node.id, target.id, "failed events")
        case ("mwaa", "bucket") if prop == "SourceBucketArn":
            return Edge(target.id, node.id, "DAGs, dbt project")
        case ("mwaa", "function"):
            return Edge(node.id, target.id, "invoke")
        case ("athena", "bucket"):
            return Edge(node.id, target.id, "results")
        case ("glue", "bucket"):
            return Edge(node.id, target.id, "location")
        case ("alarms", "topic"):
            return Edge(node.id, target.id, "notify")
    return None


def _implied_edges(nodes: list[Node]) -> set[Edge]:
    """Flows no template property spells out: who writes to Kafka, who drops files, what dbt does."""
    by_kind: dict[str, list[Node]] = {}
    for node in nodes:
        by_kind.setdefault(node.kind, []).append(node)
    edges = {Edge(PRODUCERS, msk.id, "order events") for msk in by_kind.get("msk", [])}
    edges |= {Edge(CSV_DROPS, b.id, "CSV files") for b in by_kind.get("bucket", []) if b.id.endswith(":landing")}
    for mwaa in by_kind.get("mwaa", []):
        edges.add(Edge(mwaa.id, DBT, "run models"))
        edges |= {Edge(DBT, athena.id, "SQL") for athena in by_kind.get("athena", [])}
    for athena in by_kind.get("athena", []):
        for glue in by_kind.get("glue", []):
            edges.add(Edge(athena.id, glue.id, "reads" if glue.id.endswith(":bronze") else "builds (Iceberg)"))
    return edges


def _external_nodes(nodes: list[Node]) -> list[Node]:
    kinds = {node.kind for node in nodes}
    present = {
        PRODUCERS: "msk" in kinds,
        CSV_DROPS: any(n.id.endswith(":landing") for n in nodes),
        DBT: "mwaa" in kinds,
    }
    return [Node(key, "external", _EXTERNAL_LABELS[key], None) for key, wanted in present.items() if wanted]

"""`make describe`: what a deploy of a branch would create."""

from stacks.describe import describe


def test_describe_names_the_environment_and_counts_resources_per_stack():
    text = describe("describe-me")
    assert "branch 'describe-me' -> environment 'describe-me' (ephemeral)" in text
    assert "cdk-nag AwsSolutions: no unacknowledged findings" in text
    for component in ("Network", "Storage", "Catalog", "Streaming", "Ingestion", "Orchestration", "Monitoring"):
        assert f"Keystone-describe-me-{component}:" in text
    assert "AWS::MSK::Cluster" in text and "AWS::MWAA::Environment" in text

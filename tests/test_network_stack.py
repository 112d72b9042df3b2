"""Network: two AZs, NAT count from the profile, flow logs, S3 endpoint, least-open security groups."""

from stacks.network import MSK_IAM_PORT


def test_vpc_spans_two_azs_with_private_subnets(feature_env):
    template = feature_env.template("Network")
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 4
    assert {s["Properties"]["AvailabilityZone"] for s in subnets.values()} == {"us-east-1a", "us-east-1b"}
    private = [s for s in subnets.values() if not s["Properties"]["MapPublicIpOnLaunch"]]
    assert len(private) == 2


def test_nat_gateways_follow_the_profile(main_env, feature_env):
    feature_env.template("Network").resource_count_is("AWS::EC2::NatGateway", 1)
    main_env.template("Network").resource_count_is("AWS::EC2::NatGateway", 2)


def test_flow_logs_and_s3_gateway_endpoint(feature_env):
    template = feature_env.template("Network")
    template.resource_count_is("AWS::EC2::FlowLog", 1)
    template.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 7})


def test_msk_accepts_only_iam_tls_from_its_clients(feature_env):
    template = feature_env.template("Network")
    ingress = template.find_resources("AWS::EC2::SecurityGroupIngress")
    msk_rules = [
        rule["Properties"] for rule in ingress.values() if "Msk" in rule["Properties"]["GroupId"]["Fn::GetAtt"][0]
    ]
    assert len(msk_rules) == 3
    assert {(r["FromPort"], r["ToPort"], r["IpProtocol"]) for r in msk_rules} == {(MSK_IAM_PORT, MSK_IAM_PORT, "tcp")}
    assert all("SourceSecurityGroupId" in r and "CidrIp" not in r for r in msk_rules)


def test_security_groups_do_not_allow_all_outbound(feature_env):
    template = feature_env.template("Network")
    for group in template.find_resources("AWS::EC2::SecurityGroup").values():
        for rule in group["Properties"].get("SecurityGroupEgress", []):
            assert not (rule.get("CidrIp") == "0.0.0.0/0" and rule.get("IpProtocol") == "-1"), group


def test_mwaa_security_group_admits_only_itself(feature_env):
    """MWAA needs a self-referencing rule that admits all traffic between its own components ("Security in your VPC
    on Amazon MWAA", https://docs.aws.amazon.com/mwaa/latest/userguide/vpc-security.html); nothing else may reach it."""
    template = feature_env.template("Network")
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    (mwaa,) = [name for name in groups if name.startswith("MwaaSecurityGroup")]
    into_mwaa = [
        rule["Properties"]
        for rule in template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [mwaa, "GroupId"]}
    ]
    inline = groups[mwaa]["Properties"].get("SecurityGroupIngress", [])
    assert inline == []
    assert [(rule["IpProtocol"], rule["SourceSecurityGroupId"]) for rule in into_mwaa] == [
        ("-1", {"Fn::GetAtt": [mwaa, "GroupId"]})
    ]

def test_arns_follow_the_regions_partition() -> None:
    """AWS General Reference, "Amazon Resource Names": China and GovCloud regions have
    partitions of their own, and the bill writes ARNs in them."""
    from providers.aws.bill_ids import identify as aws_identify

    china = aws_identify("123456789012", "cn-north-1", "rds", "db1", {})
    gov = aws_identify("123456789012", "us-gov-west-1", "rds", "db1", {})
    assert china.resource_id == "arn:aws-cn:rds:cn-north-1:123456789012:db:db1"
    assert gov.resource_id.startswith("arn:aws-us-gov:rds:us-gov-west-1:")

"""What `make synth/diff/deploy/destroy` run around the CDK CLI: the branch as data, resuming and ordered teardown."""

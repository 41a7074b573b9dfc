terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40"
    }
  }

  # Configure your state backend here (e.g. an encrypted S3 bucket with a DynamoDB lock table).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      project     = "clickstream"
      environment = "prod"
    }
  }
}

# One shop's clickstream deployment: raw bucket, ingest API, warehouse, hourly job, alarms.
# Bring your own VPC (private subnets with S3/SSM/logs endpoints or a NAT) and ECR image.

module "raw_bucket" {
  source            = "../../modules/raw_bucket"
  name              = "${var.name}-raw"
  access_log_bucket = var.access_log_bucket
}

module "ingest_api" {
  source          = "../../modules/ingest_api"
  name            = "${var.name}-ingest"
  package_path    = var.ingest_package_path
  raw_bucket_name = module.raw_bucket.bucket_name
  raw_bucket_arn  = module.raw_bucket.bucket_arn
  raw_kms_key_arn = module.raw_bucket.kms_key_arn
  write_keys      = var.write_keys
  allowed_origins = var.allowed_origins
  jwks_url        = var.cognito_jwks_url
  jwt_issuer      = var.cognito_issuer
  jwt_audience    = var.cognito_client_id
  pii_hmac_key    = var.pii_hmac_key
}

module "hourly_job" {
  source                      = "../../modules/hourly_job"
  name                        = "${var.name}-hourly"
  image                       = var.image
  ecr_repository_arn          = var.ecr_repository_arn
  vpc_id                      = var.vpc_id
  vpc_cidr                    = var.vpc_cidr
  private_subnet_ids          = var.private_subnet_ids
  warehouse_security_group_id = module.warehouse.security_group_id
  raw_bucket_name             = module.raw_bucket.bucket_name
  raw_bucket_arn              = module.raw_bucket.bucket_arn
  raw_kms_key_arn             = module.raw_bucket.kms_key_arn
  db_host                     = module.warehouse.address
  db_user                     = var.hourly_db_user
  db_password_parameter_arn   = var.hourly_db_password_parameter_arn
}

module "warehouse" {
  source                     = "../../modules/warehouse"
  name                       = var.name
  vpc_id                     = var.vpc_id
  private_subnet_ids         = var.private_subnet_ids
  allowed_security_group_ids = concat([module.hourly_job.security_group_id], var.dashboard_security_group_ids)
}

module "alarms" {
  source                = "../../modules/alarms"
  name                  = var.name
  alarm_emails          = var.alarm_emails
  api_id                = module.ingest_api.api_id
  ingest_function_name  = module.ingest_api.function_name
  hourly_log_group_name = module.hourly_job.log_group_name
}

-- offhours ledger as an Athena table (ledger schema v1; see docs/ledger.md).
--
-- Replace s3://BUCKET/PREFIX with the ledger location (OFFHOURS_LEDGER). Partition
-- projection computes partitions from the key layout, so no crawler and no
-- MSCK REPAIR TABLE are needed:
--   ledger/v1/provider=<aws|gcp|azure>/account=<id>/date=<YYYY-MM-DD>/<run>-<region>.jsonl.gz
-- `account` is an injected partition: every query must name the account(s), e.g.
--   WHERE account IN ('123456789012', '210987654321') AND "date" BETWEEN '2026-11-23' AND '2026-11-29'
-- (if you would rather not, change it to an enum projection listing your accounts).
-- Timestamps are UTC ISO 8601 strings ending in Z: from_iso8601_timestamp(ChargePeriodStart).

CREATE EXTERNAL TABLE IF NOT EXISTS offhours_ledger (
  ChargePeriodStart string,
  ChargePeriodEnd string,
  ProviderName string,
  SubAccountId string,
  RegionId string,
  ResourceId string,
  ResourceName string,
  ResourceType string,
  ServiceName string,
  ListUnitPrice double,
  PricingUnit string,
  BillingCurrency string,
  Tags map<string,string>,
  x_SchemaVersion string,
  x_RunId string,
  x_RecordedAt string,
  x_Action string,
  x_Outcome string,
  x_Reason string,
  x_Schedule string,
  x_ResourceSize string,
  x_AvoidedHours double,
  x_EstimatedSavings double,
  x_PriceSource string,
  x_Error string,
  x_Detail string,
  x_Trigger string
)
PARTITIONED BY (
  provider string,
  account string,
  `date` string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('case.insensitive' = 'true', 'ignore.malformed.json' = 'false')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://BUCKET/PREFIX/ledger/v1/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.provider.type' = 'enum',
  'projection.provider.values' = 'aws,gcp,azure',
  'projection.account.type' = 'injected',
  'projection.date.type' = 'date',
  'projection.date.format' = 'yyyy-MM-dd',
  'projection.date.range' = '2026-01-01,NOW',
  'projection.date.interval' = '1',
  'projection.date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://BUCKET/PREFIX/ledger/v1/provider=${provider}/account=${account}/date=${date}/'
);

-- Example: what each team saved, by the rows booked in week 2026-W48. A plain sum counts
-- an hour twice when two rows overlap (a retried run that wrote a second object, two
-- schedules); `offhours digest` counts each hour once and splits at local midnights.
-- SELECT Tags['team'] AS team, sum(x_EstimatedSavings) AS saved
-- FROM offhours_ledger
-- WHERE account IN ('123456789012') AND "date" BETWEEN '2026-11-23' AND '2026-12-06'
--   AND from_iso8601_timestamp(ChargePeriodStart) >= TIMESTAMP '2026-11-23 00:00:00 UTC'
-- GROUP BY 1 ORDER BY 2 DESC;

"""The Hub layer: push and pull with retries (`client`), cards (`cards`) and parquet export (`parquet`)."""

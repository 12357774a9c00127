-- An attempt served by a provider batch (specwright run --batch-api) names that batch, by the
-- provider's batch id; NULL for a live call. Such an attempt is priced at the batch rate.
ALTER TABLE attempts ADD COLUMN batch_id text;

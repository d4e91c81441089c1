-- Send-time optimization (docs/send-time.md): a batch that asked for it keeps its window and how many of its
-- messages got the hour their recipient's history chose and how many fell back. Null: not asked for.
ALTER TABLE batches
  ADD COLUMN send_time_within_hours integer,
  ADD COLUMN send_time_optimized integer,
  ADD COLUMN send_time_fell_back integer;

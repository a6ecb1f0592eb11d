-- Account setting require_confirmation: place_order asks a human (MCP elicitation) before it places.
-- Numbered 006, not 004: other branches add 004/005 at the same time; migrate applies gaps in order.
ALTER TABLE accounts ADD COLUMN require_confirmation INTEGER NOT NULL DEFAULT 0;

"""Lead management: lead forms, enrichment, scoring, lifecycle stages and handover to sales."""

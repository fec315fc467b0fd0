"""The local stack: real PostgreSQL and Kafka, the SMSC simulator and the services, no Docker."""

"""Operations engine: fulfilment exceptions and supplier follow-up (alerts); routing comes later."""

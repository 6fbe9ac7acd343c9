"""PaymentCycle: one workflow per month, `payment-cycle:{YYYY-MM}`, started by a Schedule."""

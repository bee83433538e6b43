/*
 * engagement.h — exponential decay of engagement points by half-life,
 * plain C (no PostgreSQL headers).
 */
#ifndef CRMSCM_ENGAGEMENT_H
#define CRMSCM_ENGAGEMENT_H

/* points * 2^(-age / half_life); 0 when age < 0 (an event after as_of). */
extern double lr_decay(double points, double age_seconds, double half_life_seconds);

#endif							/* CRMSCM_ENGAGEMENT_H */

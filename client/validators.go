package client

import (
	"context"

	"github.com/provernet/provernet/wire"
)

// ValidatorsPage returns one page of validator records (issue 19), in
// consensus address order.
func (c *Client) ValidatorsPage(ctx context.Context, o ListOptions) (*wire.ValidatorPage, error) {
	var p wire.ValidatorPage
	return &p, c.get(ctx, o.query("/v1/validators"), &p)
}

// Validators lists every validator record (bonded, unbonding and
// jailed), following the pages.
func (c *Client) Validators(ctx context.Context) ([]wire.Validator, error) {
	return all(func(cursor string) ([]wire.Validator, string, error) {
		p, err := c.ValidatorsPage(ctx, ListOptions{Limit: MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		return p.Validators, p.Next, nil
	})
}

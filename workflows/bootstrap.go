package workflows

import (
	"context"
	"errors"
	"fmt"

	"thidua/domain"
	"thidua/projections"
)

// AdminID is the id of the first administrator.
const AdminID = "admin"

// ErrNoAdminOnDamagedStore is Bootstrap's refusal to create an administrator on a store
// whose history does not verify (messages lost, chains broken): the missing
// administrator may be one of the losses, and a new one would be appended to a history
// that needs restoring or inspecting first. thidua reissue-token gives an existing
// administrator a way back in.
var ErrNoAdminOnDamagedStore = errors.New("no administrator, and the store's history does not verify")

// Bootstrap prepares a new store: it registers the first administrator (with adminToken,
// or a generated token that it returns so it can be printed once) and launches the
// built-in 2025 campaign. Both are appended with expected version 0 on their aggregate,
// so two servers starting together do it once. On a store that has them, it does nothing.
func (s *Service) Bootstrap(ctx context.Context, adminToken string) (generated string, err error) {
	var hasAdmin, hasCampaign bool
	builtin := domain.BuiltinCampaign()
	s.model.Read(func(st *projections.State) {
		reg, _ := st.Registry()
		hasAdmin = reg.HasRole(domain.RoleAdmin)
		c, _ := st.Campaign(builtin.ID)
		hasCampaign = c != nil
	})
	if !hasAdmin && s.model.IntegrityCount() > 0 {
		return "", fmt.Errorf("bootstrap admin: %w (%d integrity problems; run thidua verify): none created", ErrNoAdminOnDamagedStore, s.model.IntegrityCount())
	}
	if !hasAdmin {
		token := adminToken
		if token == "" {
			if token, err = newToken(); err != nil {
				return "", err
			}
			generated = token
		}
		_, err := s.run(ctx, System(), Options{}, func(st *projections.State) (plan, error) {
			reg, v := st.Registry()
			if reg.HasRole(domain.RoleAdmin) {
				return plan{}, nil
			}
			// The first administrator is "admin"; should every administrator have been
			// disabled (as older versions allowed), the next free id and name.
			id, name := reg.FreeUserIDAndName(AdminID, "Quản trị hệ thống")
			evs, err := reg.RegisterUser(id, name, domain.RoleAdmin, "", HashToken(token))
			if err != nil {
				return plan{}, err
			}
			pl := plan{id: id}
			pl.add(registryRef(), v, evs)
			return pl, nil
		})
		if err != nil {
			return "", fmt.Errorf("bootstrap admin: %w", err)
		}
	}
	if !hasCampaign {
		_, err := s.LaunchCampaign(ctx, System(), builtin, Options{})
		var re *domain.RuleError
		if err != nil && !(errors.As(err, &re) && re.Code == "campaign_exists") {
			return generated, fmt.Errorf("launch built-in campaign: %w", err)
		}
	}
	return generated, nil
}

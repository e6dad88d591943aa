package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/wecom"
)

// The WeCom settings form on /admin/wecom: an admin stores the corp id,
// agent id, secrets, callback token and key in the database (the
// TIERLINK_WECOM_* variables win over them); secrets are never shown
// again. It binds wecom.SettingsInput, the API's PUT body.

func (s *Server) wecomSettingsPages() []pageRoute {
	return []pageRoute{
		{Method: "POST", Path: "/admin/wecom/settings", Access: admin, Handler: s.wecomSettingsSubmit, Form: wecom.SettingsInput{},
			Back: s.wecomAdminPage},
	}
}

func (s *Server) wecomSettingsSubmit(c *fiber.Ctx) error {
	in, err := bindForm[wecom.SettingsInput](c, s.zoneOf(c), formOptions{})
	if err != nil {
		return err
	}
	if _, err := s.deps.WeCom.SaveSettings(c.UserContext(), in); err != nil {
		return err
	}
	return c.Redirect("/admin/wecom?msg=wecom_settings_saved#wecom-settings", fiber.StatusSeeOther)
}

func (s *Server) registerWeComSettingsRoutes(r api) {
	wc := s.deps.WeCom
	r.handle("GET", "/settings", op{Summary: "The stored WeCom settings", Tag: "wecom", Access: admin,
		Description: "The WeCom connection settings stored in the database, each with whether a TIERLINK_WECOM_* variable overrides it. " +
			"Secrets are never returned, only whether one is stored. Admins only.",
		Resp: wecom.Settings{}}, func(c *fiber.Ctx) error {
		out, err := wc.Settings(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
	r.handle("PUT", "/settings", op{Summary: "Store WeCom settings", Tag: "wecom", Access: admin,
		Description: "Stores the settings given (an empty field keeps what is stored) and removes those named in `clear`. A TIERLINK_WECOM_* " +
			"variable that is set wins over the stored value. They apply when each instance next starts. Secrets are write-only. Admins only; " +
			"audited without the secrets.",
		Body: wecom.SettingsInput{}, Resp: wecom.Settings{}}, func(c *fiber.Ctx) error {
		in, err := bind[wecom.SettingsInput](c)
		if err != nil {
			return err
		}
		out, err := wc.SaveSettings(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
}
